package server

// wireSSM wires the ssm service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireSSM(d *deps) (*wiring, error) { return notYetWiring() }
