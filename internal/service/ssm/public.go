package ssm

import (
	"sort"
	"strings"
	"time"
)

// Public parameters: AWS publishes read-only parameters under
// /aws/service/ in every region, which tools read (CloudFormation's
// AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>, CDK's
// MachineImage.latestAmazonLinux2023, Terraform's aws_ssm_parameter). niwa
// answers the AMI ones from EC2's image catalog (Options.Images), so the
// id resolves to an image DescribeImages and RunInstances know, and the
// global infrastructure catalog for niwa's regions and services. They are
// computed, never stored: PutParameter and DeleteParameter on /aws/ names
// answer AccessDeniedException as on AWS.

const publicRoot = "/aws/service/"

// amiParam maps a public AMI parameter to the catalog images it picks
// (the newest whose name has the prefix and suffix).
type amiParam struct {
	name, prefix, suffix string
}

func amiParams() []amiParam {
	const al = "/aws/service/ami-amazon-linux-latest/"
	const win = "/aws/service/ami-windows-latest/"
	const ubuntu = "/aws/service/canonical/ubuntu/server/"
	return []amiParam{
		{al + "al2023-ami-kernel-default-x86_64", "al2023-ami-2023", "-x86_64"},
		{al + "al2023-ami-kernel-6.1-x86_64", "al2023-ami-2023", "-kernel-6.1-x86_64"},
		{al + "al2023-ami-kernel-default-arm64", "al2023-ami-2023", "-arm64"},
		{al + "al2023-ami-kernel-6.1-arm64", "al2023-ami-2023", "-kernel-6.1-arm64"},
		{al + "al2023-ami-minimal-kernel-default-x86_64", "al2023-ami-minimal-", "-x86_64"},
		{al + "al2023-ami-minimal-kernel-6.1-x86_64", "al2023-ami-minimal-", "-kernel-6.1-x86_64"},
		{al + "amzn2-ami-hvm-x86_64-gp2", "amzn2-ami-hvm-", "-x86_64-gp2"},
		{al + "amzn2-ami-kernel-5.10-hvm-x86_64-gp2", "amzn2-ami-kernel-5.10-hvm-", "-x86_64-gp2"},
		{al + "amzn2-ami-kernel-5.10-hvm-arm64-gp2", "amzn2-ami-kernel-5.10-hvm-", "-arm64-gp2"},
		{al + "amzn-ami-hvm-x86_64-gp2", "amzn-ami-hvm-", "-x86_64-gp2"},
		{win + "Windows_Server-2022-English-Full-Base", "Windows_Server-2022-English-Full-Base-", ""},
		{win + "Windows_Server-2019-English-Full-Base", "Windows_Server-2019-English-Full-Base-", ""},
		{win + "Windows_Server-2016-English-Full-Base", "Windows_Server-2016-English-Full-Base-", ""},
		{win + "Windows_Server-2016-Japanese-Full-Base", "Windows_Server-2016-Japanese-Full-Base-", ""},
		{win + "Windows_Server-2012-R2_RTM-English-64Bit-Base", "Windows_Server-2012-R2_RTM-English-64Bit-Base-", ""},
		{ubuntu + "24.04/stable/current/amd64/hvm/ebs-gp3/ami-id", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-", ""},
		{ubuntu + "22.04/stable/current/amd64/hvm/ebs-gp2/ami-id", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-", ""},
		{ubuntu + "22.04/stable/current/arm64/hvm/ebs-gp2/ami-id", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-", ""},
		{ubuntu + "20.04/stable/current/amd64/hvm/ebs-gp2/ami-id", "ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-", ""},
		{"/aws/service/debian/release/12/latest/amd64", "debian-12-amd64-", ""},
	}
}

// regionInfo is a region's long name and geolocation.
type regionInfo struct{ code, long, country, geo string }

func regionCatalog() []regionInfo {
	return []regionInfo{
		{"us-east-1", "US East (N. Virginia)", "US", "US-VA"},
		{"us-east-2", "US East (Ohio)", "US", "US-OH"},
		{"us-west-1", "US West (N. California)", "US", "US-CA"},
		{"us-west-2", "US West (Oregon)", "US", "US-OR"},
		{"ca-central-1", "Canada (Central)", "CA", "CA-QC"},
		{"sa-east-1", "South America (Sao Paulo)", "BR", "BR-SP"},
		{"eu-west-1", "Europe (Ireland)", "IE", "IE-D"},
		{"eu-west-2", "Europe (London)", "GB", "GB-ENG"},
		{"eu-west-3", "Europe (Paris)", "FR", "FR-IDF"},
		{"eu-central-1", "Europe (Frankfurt)", "DE", "DE-HE"},
		{"eu-north-1", "Europe (Stockholm)", "SE", "SE-AB"},
		{"ap-northeast-1", "Asia Pacific (Tokyo)", "JP", "JP-13"},
		{"ap-northeast-2", "Asia Pacific (Seoul)", "KR", "KR-11"},
		{"ap-northeast-3", "Asia Pacific (Osaka)", "JP", "JP-27"},
		{"ap-southeast-1", "Asia Pacific (Singapore)", "SG", "SG-01"},
		{"ap-southeast-2", "Asia Pacific (Sydney)", "AU", "AU-NSW"},
		{"ap-south-1", "Asia Pacific (Mumbai)", "IN", "IN-MH"},
	}
}

// serviceCatalog is the services niwa serves, with AWS's long names.
func serviceCatalog() map[string]string {
	return map[string]string{
		"cloudformation": "AWS CloudFormation", "cloudtrail": "AWS CloudTrail", "cloudwatch": "Amazon CloudWatch",
		"dynamodb": "Amazon DynamoDB", "ec2": "Amazon Elastic Compute Cloud (EC2)", "events": "Amazon EventBridge",
		"iam": "AWS Identity and Access Management (IAM)", "kms": "AWS Key Management Service", "lambda": "AWS Lambda",
		"logs": "Amazon CloudWatch Logs", "route53": "Amazon Route 53", "s3": "Amazon Simple Storage Service (S3)",
		"secretsmanager": "AWS Secrets Manager", "sns": "Amazon Simple Notification Service (SNS)",
		"sqs": "Amazon Simple Queue Service (SQS)", "ssm": "AWS Systems Manager", "sts": "AWS Security Token Service (AWS STS)",
	}
}

// publicParam is one computed public parameter.
type publicParam struct {
	Name, Value string
	Modified    time.Time
}

// infraEpoch is the last-modified time of the global infrastructure
// parameters: a fixed date, as they rarely change on AWS.
var infraEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// publicParams returns a region's public parameters, sorted by name.
func (s *SSM) publicParams(region string) []publicParam {
	var out []publicParam
	if s.opts.Images != nil {
		imgs := s.opts.Images.Public(region)
		for _, a := range amiParams() {
			var best *Image
			for i := range imgs {
				im := &imgs[i]
				if strings.HasPrefix(im.Name, a.prefix) && strings.HasSuffix(im.Name, a.suffix) && (best == nil || im.Created.After(best.Created)) {
					best = im
				}
			}
			if best != nil {
				out = append(out, publicParam{a.name, best.ID, best.Created})
			}
		}
	}
	const gi = "/aws/service/global-infrastructure/"
	add := func(name, value string) { out = append(out, publicParam{gi + name, value, infraEpoch}) }
	add("current-region", region)
	svcs := serviceCatalog()
	names := make([]string, 0, len(svcs))
	for n := range svcs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, r := range regionCatalog() {
		p := "regions/" + r.code
		add(p, r.code)
		add(p+"/longName", r.long)
		add(p+"/domain", "amazonaws.com")
		add(p+"/partition", "aws")
		add(p+"/geolocationCountry", r.country)
		add(p+"/geolocationRegion", r.geo)
		for _, n := range names {
			add(p+"/services/"+n, n)
		}
	}
	for _, n := range names {
		p := "services/" + n
		add(p, n)
		add(p+"/longName", svcs[n])
		for _, r := range regionCatalog() {
			add(p+"/regions/"+r.code, r.code)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func isPublic(name string) bool {
	return strings.HasPrefix(name, publicRoot) || name+"/" == publicRoot
}

// publicParam finds one public parameter.
func (s *SSM) publicParam(region, name string) (publicParam, bool) {
	all := s.publicParams(region)
	i := sort.Search(len(all), func(i int) bool { return all[i].Name >= name })
	if i < len(all) && all[i].Name == name {
		return all[i], true
	}
	return publicParam{}, false
}

// publicARN is a public parameter's ARN: it belongs to no account.
func publicARN(region, name string) string {
	return "arn:aws:ssm:" + region + "::parameter/" + trimSlash(name)
}
