package server

// wireCloudWatch wires the cloudwatch service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireCloudWatch(d *deps) (*wiring, error) { return notYetWiring() }
