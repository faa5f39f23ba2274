package server

// wireLogs wires the logs service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireLogs(d *deps) (*wiring, error) { return notYetWiring() }
