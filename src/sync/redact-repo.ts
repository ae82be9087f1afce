/**
 * A repository URL (or a text naming one, such as git's error output) with any password or
 * token in its user part replaced: `https://user:TOKEN@host/r.git` -> `https://user:***@host/r.git`.
 */
export function redactRepo(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]*):[^/@\s]*@/gi, '$1$2:***@')
    .replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]+)@/gi, (m, scheme: string, user: string) =>
      /^(git|ssh)$/i.test(user) ? m : `${scheme}***@`,
    );
}
