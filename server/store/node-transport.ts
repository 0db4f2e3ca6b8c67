/**
 * How nodes reach one another: a message to one node by id, or an announcement to every node.
 * Redis pub/sub in production.
 */
export interface NodeTransport {
  send(nodeId: string, message: string): Promise<void>;
  /** Delivers to every listening node, this one included. */
  announce(message: string): Promise<void>;
  /** Starts delivering this node's messages and every announcement; resolves once listening. */
  listen(nodeId: string, deliver: (message: string) => void): Promise<void>;
  close(): Promise<void>;
}
