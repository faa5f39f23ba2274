package server

// wireLambda wires the lambda service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireLambda(d *deps) (*wiring, error) { return notYetWiring() }
