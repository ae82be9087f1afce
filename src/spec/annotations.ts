/**
 * Annotations skyfleet itself writes on a Deployment's metadata. They never reach a provider
 * (deployment annotations are not the pod template's) and change no revision.
 */
export const ANNOTATIONS = {
  /**
   * Why a new revision is made: recorded with the revision when it is first recorded and shown by
   * `describe` and `rollout history`, as kubectl's `kubernetes.io/change-cause`.
   */
  changeCause: 'skyfleet.dev/change-cause',
  /** The git source (`skyfleet sync`) a deployment was applied from: only it may prune it. */
  gitSource: 'skyfleet.dev/git-source',
  /** The commit a deployment was last applied from. */
  gitCommit: 'skyfleet.dev/git-commit',
  /** The file of the repository that declares the deployment. */
  gitFile: 'skyfleet.dev/git-file',
} as const;
