package server

// wireDynamoDB wires the dynamodb service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireDynamoDB(d *deps) (*wiring, error) { return notYetWiring() }
