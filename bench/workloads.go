package main

// allWorkloads lists every workload; each service adds its own in
// bench/workloads_<service>.go.
func allWorkloads() []workload {
	var all []workload
	for _, ws := range [][]workload{
		identityWorkloads(),
		s3Workloads(),
		sqsWorkloads(),
		dynamodbWorkloads(),
		lambdaWorkloads(),
	} {
		all = append(all, ws...)
	}
	return all
}
