export {
  connectFleet,
  createRemoteFleet,
  type RemoteFleet,
  type RemoteOptions,
  type WatchEvent,
} from './remote-fleet.js';
export { followWatch, sseParser } from './watch-stream.js';
export { HttpClient, errorFrom } from './http-client.js';
