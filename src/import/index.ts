export { convertText, convertedYaml, refuseWarnings, type ConvertOptions, type ConvertResult } from './convert.js';
export { type ImportWarning, type PathPart, formatWarning, formatInputPath } from './import-warning.js';
export { loadInput, type LoadedInput } from './load-input.js';
