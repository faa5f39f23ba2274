package main

// lambdaWorkloads are the lambda workloads (none until the service lands).
func lambdaWorkloads() []workload { return nil }
