package server

// wireEC2 wires the ec2 service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireEC2(d *deps) (*wiring, error) { return notYetWiring() }
