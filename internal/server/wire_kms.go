package server

// wireKMS wires the kms service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireKMS(d *deps) (*wiring, error) { return notYetWiring() }
