package main

// dynamodbWorkloads are the dynamodb workloads (none until the service lands).
func dynamodbWorkloads() []workload { return nil }
