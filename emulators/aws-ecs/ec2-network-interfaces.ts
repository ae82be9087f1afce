import type { EmulatedResponse } from '../framework/index.js';

/**
 * EC2 DescribeNetworkInterfaces for the ENIs an ECS emulator's tasks hold, as EC2's query API
 * answers it: a form-encoded POST (`Action=DescribeNetworkInterfaces&Version=2016-11-15&
 * Filter.1.Name=network-interface-id&Filter.1.Value.1=eni-...`) and an XML answer whose
 * `networkInterfaceSet` items carry `networkInterfaceId` and, for an ENI with a public IPv4,
 * `association/publicIp`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkInterfaceAssociation.html).
 * An id that matches no ENI is left out (a filter, not NetworkInterfaceId.N, which would fail).
 * Other actions and filters answer EC2's own error shape.
 */
export function describeNetworkInterfaces(
  body: string,
  enis: (ids: readonly string[]) => Array<{ id: string; privateIp: string; publicIp?: string }>,
  requestId: string,
): EmulatedResponse {
  const form = new URLSearchParams(body);
  const error = (code: string, message: string): EmulatedResponse => ({
    status: 400,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
  });
  if (form.get('Action') !== 'DescribeNetworkInterfaces')
    return error('InvalidAction', `The action ${form.get('Action')} is not valid for this web service.`);
  const ids: string[] = [];
  for (let i = 1; form.has(`Filter.${i}.Name`); i++) {
    const name = form.get(`Filter.${i}.Name`);
    if (name !== 'network-interface-id') return error('InvalidParameterValue', `The filter '${name}' is invalid`);
    for (let j = 1; form.has(`Filter.${i}.Value.${j}`); j++) ids.push(form.get(`Filter.${i}.Value.${j}`)!);
  }
  const items = enis(ids)
    .map(
      (e) =>
        `<item><networkInterfaceId>${e.id}</networkInterfaceId><interfaceType>interface</interfaceType><privateIpAddress>${e.privateIp}</privateIpAddress>${
          e.publicIp ? `<association><publicIp>${e.publicIp}</publicIp><ipOwnerId>amazon</ipOwnerId></association>` : ''
        }<status>in-use</status></item>`,
    )
    .join('');
  return {
    status: 200,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeNetworkInterfacesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId}</requestId><networkInterfaceSet>${items}</networkInterfaceSet></DescribeNetworkInterfacesResponse>`,
  };
}
