/** A DNS-1123 label short enough to fit every provider's naming rules once prefixed. */
export const NAME_PATTERN = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;
export const NAME_RULE = '1-40 lowercase letters, digits or "-", starting with a letter and not ending with "-"';
