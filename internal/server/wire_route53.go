package server

// wireRoute53 wires the route53 service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireRoute53(d *deps) (*wiring, error) { return notYetWiring() }
