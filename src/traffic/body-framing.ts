/**
 * How the body of a message is delimited (RFC 9112 section 6): no body, a Content-Length, chunked
 * transfer coding, or (responses only) the end of the connection.
 */
export type BodyFraming = 'none' | 'length' | 'chunked' | 'close';
