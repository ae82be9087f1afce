import { SkyfleetError } from './skyfleet-error.js';

export class NotFoundError extends SkyfleetError {
  constructor(what: string, name: string, hint?: string) {
    super('not_found', `${what} ${JSON.stringify(name)} not found${hint ? `: ${hint}` : ''}`);
  }
}
