package server

// wireS3 wires the s3 service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireS3(d *deps) (*wiring, error) { return notYetWiring() }
