package main

// sqsWorkloads are the sqs workloads (none until the service lands).
func sqsWorkloads() []workload { return nil }
