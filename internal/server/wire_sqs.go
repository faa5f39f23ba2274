package server

// wireSQS wires the sqs service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireSQS(d *deps) (*wiring, error) { return notYetWiring() }
