package server

// wireCloudWatch wires the cloudwatch service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation, in the protocol it
// came in: query (the v1 model's), JSON (botocore's choice) or
// smithy-rpc-v2-cbor (CBOR-first clients), all three from the model's
// protocols list patched in internal/codegen.
func wireCloudWatch(d *deps) (*wiring, error) { return notYetWiring() }
