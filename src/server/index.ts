export { createApiServer, type ApiServer, type ApiServerOptions } from './create-api-server.js';
export { createApiToken, checkToken, hashToken, tokenView } from './tokens.js';
export { may, ROLES, isRole, type Permission } from './roles.js';
export type { Endpoint } from './endpoint.js';
export { listen, type Listening } from './listen.js';
