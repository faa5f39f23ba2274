package server

// wireCloudFormation wires the cloudformation service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireCloudFormation(d *deps) (*wiring, error) { return notYetWiring() }
