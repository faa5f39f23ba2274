package lb

// hostedZones are the Route 53 hosted zone ids of load balancer DNS
// names per region (Elastic Load Balancing endpoints, AWS General
// Reference): application and classic load balancers share one,
// network load balancers have their own.
func hostedZones() map[string][2]string {
	return map[string][2]string{
		"us-east-1":      {"Z35SXDOTRQ7X7K", "Z26RNL4JYFTOTI"},
		"us-east-2":      {"Z3AADJGX6KTTL2", "ZLMOA37VPKANP"},
		"us-west-1":      {"Z368ELLRRE2KJ0", "Z24FKFUX50B4VW"},
		"us-west-2":      {"Z1H1FL5HABSF5", "Z18D5FSROUN65G"},
		"ca-central-1":   {"ZQSVJUPU6J1EY", "Z2EPGBW3API2WT"},
		"eu-west-1":      {"Z32O12XQLNTSW2", "Z2IFOLAFXWLO4F"},
		"eu-west-2":      {"ZHURV8PSTC4K8", "ZD4D7Y8KGAS4G"},
		"eu-west-3":      {"Z3Q77PNBQS71R4", "Z1CMS0P5QUZ6D5"},
		"eu-central-1":   {"Z215JYRZR1TBD5", "Z3F0SRJ5LGBH90"},
		"eu-north-1":     {"Z23TAZ7KYS7LCG", "Z1UDT6IFJ4EJM"},
		"ap-northeast-1": {"Z14GRHDCWA56QT", "Z31USIVHYNEOWT"},
		"ap-northeast-2": {"ZWKZPGTI48KDX", "ZIBE1TIR4HY56"},
		"ap-southeast-1": {"Z1LMS91P8CMLE5", "ZKVM4W9LS7TM"},
		"ap-southeast-2": {"Z1GM3OXH4ZPM65", "ZCT6FZBF4DROD"},
		"ap-south-1":     {"ZP97RAFLXTNZK", "ZVDDRBQ08TROA"},
		"sa-east-1":      {"Z2P70J7HTTTPLU", "ZTK26PT1VY4CU"},
	}
}

// HostedZoneID is the canonical hosted zone id of a load balancer of typ
// ("application", "network", "classic") in region; regions niwa has no
// entry for get us-east-1's.
func HostedZoneID(region, typ string) string {
	zones := hostedZones()
	z, ok := zones[region]
	if !ok {
		z = zones["us-east-1"]
	}
	if typ == "network" {
		return z[1]
	}
	return z[0]
}
