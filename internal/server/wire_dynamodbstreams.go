package server

// wireDynamoDBStreams wires the dynamodbstreams service. Its operations are not implemented yet:
// every call answers NotImplemented naming the operation.
func wireDynamoDBStreams(d *deps) (*wiring, error) { return notYetWiring() }
