package server

// wireCloudTrail wires the cloudtrail service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireCloudTrail(d *deps) (*wiring, error) { return notYetWiring() }
