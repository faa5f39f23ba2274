package server

// wireSNS wires the sns service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireSNS(d *deps) (*wiring, error) { return notYetWiring() }
