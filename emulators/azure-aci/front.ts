import type { IncomingMessage, ServerResponse } from 'node:http';
import { forwardTo } from '../framework/forward.js';
import type { AciEmulator } from './aci-emulator.js';

/**
 * The stand-in's front for container groups (`skyfleet emulate --azure`): a request for
 * `<dnsNameLabel>.<location>.azurecontainer.io` (Host, optionally with the port) goes to the
 * local container that serves that group's port, as a connection to the group's public IP reaches
 * it in Azure. A real group has its own IP at its container port; the stand-in publishes every
 * container on 127.0.0.1 only, so the groups are told apart by name (the target's
 * `dataPlaneAddress` sends replica traffic here, over TLS as the group's FQDN). A group that does
 * not exist, is not provisioned or has no running container for the port gets 503, as a
 * connection to a group that is not running fails.
 */
export function aciFront(aci: AciEmulator): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const m = /^([^:]+)(?::(\d+))?$/.exec(req.headers.host ?? '');
    const port = m ? aci.hostPortOf(m[1]!, m[2] ? Number(m[2]) : undefined) : undefined;
    if (port === undefined) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`no running container group answers for ${req.headers.host ?? '(no Host)'}\n`);
      return;
    }
    forwardTo(req, res, port);
  };
}
