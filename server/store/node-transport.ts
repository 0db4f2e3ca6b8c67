/** How nodes reach one another: a message to a node by id. Redis pub/sub in production. */
export interface NodeTransport {
  send(nodeId: string, message: string): Promise<void>;
  /** Starts delivering this node's messages; resolves once it is listening. */
  listen(nodeId: string, deliver: (message: string) => void): Promise<void>;
  close(): Promise<void>;
}
