// An OCI image reference, by the grammar of docker/distribution's `reference` package
// (github.com/distribution/reference, regexp.go; also the OCI distribution spec's name rules):
//
//   reference        := name [ ":" tag ] [ "@" digest ]
//   name             := [domain "/"] path-component ["/" path-component]*
//   domain           := domain-component ["." domain-component]* [":" port-number]
//   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//   path-component   := alpha-numeric [separator alpha-numeric]*
//   alpha-numeric    := /[a-z0-9]+/
//   separator        := /[_.]|__|[-]*/
//   tag              := /[\w][\w.-]{0,127}/
//   digest           := algorithm ":" hex
//   algorithm        := /[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*/
//   hex              := /[0-9a-fA-F]{32,}/
//
// The name is at most 255 characters. As docker's normalisation does, a first component is a
// domain only when it holds a "." or a ":" or is "localhost"; otherwise it is a (lowercase) path
// component. (IPv6 domains in brackets are not accepted.)

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[_.]|__|[-]+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

export const IMAGE_REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);

export const IMAGE_RULE =
  'expected an image reference [registry[:port]/]path[:tag][@digest] with a lowercase path, such as "nginx:1.27" or "gcr.io/shop/web:1"';

/** True when `ref` is a valid image reference (see the grammar above). */
export function isImageReference(ref: string): boolean {
  const m = IMAGE_REFERENCE.exec(ref);
  if (m === null || m[1]!.length > 255) return false;
  const slash = m[1]!.indexOf('/');
  const first = slash < 0 ? m[1]! : m[1]!.slice(0, slash);
  const isDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isDomain || new RegExp(`^${PATH_COMPONENT}$`).test(first);
}
