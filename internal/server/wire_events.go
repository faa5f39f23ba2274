package server

// wireEvents wires the events service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireEvents(d *deps) (*wiring, error) { return notYetWiring() }
