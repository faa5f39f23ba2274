package main

// s3Workloads are the s3 workloads (none until the service lands).
func s3Workloads() []workload { return nil }
