package ec2api

import (
	"crypto/md5"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// sshKeygen runs ssh-keygen, which must be present under CI.
func sshKeygen(t *testing.T, args ...string) string {
	t.Helper()
	framework.RequireClient(t, "ssh-keygen", "sh", "-c", "command -v ssh-keygen")
	out, err := exec.Command("ssh-keygen", args...).Output()
	if err != nil {
		t.Fatalf("ssh-keygen %v: %v", args, err)
	}
	return string(out)
}

// TestImportKeyPairCLI imports keys made by ssh-keygen in the formats
// EC2 documents (OpenSSH, RFC 4716, PEM) with both CLIs and checks the
// fingerprints EC2 computes: MD5 of the DER public key for RSA, base64
// SHA-256 for ED25519.
func TestImportKeyPairCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	dir := t.TempDir()
	rsaKey, edKey := filepath.Join(dir, "rsa"), filepath.Join(dir, "ed")
	sshKeygen(t, "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "me@host", "-f", rsaKey)
	sshKeygen(t, "-q", "-t", "ed25519", "-N", "", "-f", edKey)
	rfc := filepath.Join(dir, "rsa.rfc4716")
	pemFile := filepath.Join(dir, "rsa.pem")
	write := func(path, s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(rfc, sshKeygen(t, "-e", "-f", rsaKey+".pub"))
	pemText := sshKeygen(t, "-e", "-m", "PKCS8", "-f", rsaKey+".pub")
	write(pemFile, pemText)
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		t.Fatalf("ssh-keygen PKCS8 export: %q", pemText)
	}
	if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(block.Bytes)
	var hexParts []string
	for _, b := range sum {
		hexParts = append(hexParts, fmt.Sprintf("%02x", b))
	}
	rsaFP := strings.Join(hexParts, ":")
	// ssh-keygen -l prints "256 SHA256:<base64 without padding> comment (ED25519)".
	edFP := strings.TrimPrefix(strings.Fields(sshKeygen(t, "-l", "-E", "sha256", "-f", edKey+".pub"))[1], "SHA256:")

	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			cases := []struct{ name, file, typ, fp string }{
				{"openssh-rsa", rsaKey + ".pub", "rsa", rsaFP},
				{"rfc4716-rsa", rfc, "rsa", rsaFP},
				{"pem-rsa", pemFile, "rsa", rsaFP},
				{"openssh-ed25519", edKey + ".pub", "ed25519", edFP},
			}
			for _, c := range cases {
				name := c.name + "-" + cli.Name
				var fp string
				framework.CLIJSON(t, n, cli, &fp, "ec2", "import-key-pair", "--key-name", name, "--public-key-material", "fileb://"+c.file, "--query", "KeyFingerprint")
				if strings.TrimRight(fp, "=") != c.fp {
					t.Errorf("%s: fingerprint %s, want %s", c.name, fp, c.fp)
				}
			}
			// One describe for all of them keeps the package quick.
			var got []map[string]string
			framework.CLIJSON(t, n, cli, &got, "ec2", "describe-key-pairs", "--include-public-key", "--filters", "Name=key-name,Values=*-"+cli.Name,
				"--query", "KeyPairs[].{N:KeyName,T:KeyType,P:PublicKey}")
			types := map[string]string{}
			for _, k := range got {
				if strings.HasPrefix(k["P"], "ssh-") {
					types[k["N"]] = k["T"]
				}
			}
			for _, c := range cases {
				if types[c.name+"-"+cli.Name] != c.typ {
					t.Errorf("%s: described %v", c.name, got)
				}
			}
			garbage := filepath.Join(dir, "garbage")
			write(garbage, "this is not a key")
			_, errOut, err := n.RunCLI(t, cli, nil, "ec2", "import-key-pair", "--key-name", "bad-"+cli.Name, "--public-key-material", "fileb://"+garbage)
			if err == nil || !strings.Contains(errOut, "(InvalidKey.Format)") || !strings.Contains(errOut, "Key is not in valid OpenSSH public key format") {
				t.Errorf("garbage: %v %s", err, errOut)
			}
			_, errOut, err = n.RunCLI(t, cli, nil, "ec2", "import-key-pair", "--key-name", "openssh-rsa-"+cli.Name, "--public-key-material", "fileb://"+edKey+".pub")
			if err == nil || !strings.Contains(errOut, "(InvalidKeyPair.Duplicate)") {
				t.Errorf("duplicate: %v %s", err, errOut)
			}
		})
	}
}

// TestAccountAndFiltersCLI: the reads the Terraform provider makes on
// every plan (account attributes, the default VPC by isDefault, the S3
// endpoint service in any region) and EC2's answer to an unknown filter.
func TestAccountAndFiltersCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			regions := map[string][]string{"v1": {"us-east-1", "ap-south-1"}, "v2": {"eu-central-1"}}[cli.Name]
			for _, region := range regions {
				var def []string
				framework.CLIJSON(t, n, cli, &def, "--region", region, "ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true", "--query", "Vpcs[].VpcId")
				if len(def) != 1 {
					t.Fatalf("%s default VPCs %v", region, def)
				}
				var attr []string
				framework.CLIJSON(t, n, cli, &attr, "--region", region, "ec2", "describe-account-attributes", "--attribute-names", "default-vpc", "supported-platforms",
					"--query", "AccountAttributes[].AttributeValues[0].AttributeValue")
				if len(attr) != 2 || !contains(attr, def[0]) || !contains(attr, "VPC") {
					t.Errorf("%s account attributes %v (default VPC %s)", region, attr, def[0])
				}
				var types []string
				framework.CLIJSON(t, n, cli, &types, "--region", region, "ec2", "describe-vpc-endpoint-services", "--service-names", "com.amazonaws."+region+".s3",
					"--query", "ServiceDetails[].ServiceType[0].ServiceType")
				if len(types) != 2 {
					t.Errorf("%s s3 endpoint service types %v", region, types)
				}
			}
			_, errOut, err := n.RunCLI(t, cli, nil, "ec2", "describe-vpcs", "--filters", "Name=x,Values=y")
			if err == nil || !strings.Contains(errOut, "(InvalidParameterValue)") || !strings.Contains(errOut, "The filter 'x' is invalid") {
				t.Errorf("unknown filter: %v %s", err, errOut)
			}
		})
	}
}

func contains(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// TestSecurityGroupRulesBoto3 drives the security group rules API the way
// the Terraform provider's aws_vpc_security_group_ingress_rule does.
func TestSecurityGroupRulesBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, botocore
ec2 = boto3.client("ec2", region_name="us-east-1")
vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
g = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
r = ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}]}])
rid = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]
assert rid.startswith("sgr-"), r
rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [g]}])["SecurityGroupRules"]
assert sorted(x["IsEgress"] for x in rules) == [False, True], rules
assert rid in [x["SecurityGroupRuleId"] for x in rules], rules
ec2.modify_security_group_rules(GroupId=g, SecurityGroupRules=[{"SecurityGroupRuleId": rid, "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222, "CidrIpv4": "10.0.0.0/8", "Description": "alt"}}])
ec2.update_security_group_rule_descriptions_ingress(GroupId=g, SecurityGroupRuleDescriptions=[{"SecurityGroupRuleId": rid, "Description": "final"}])
r = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])["SecurityGroupRules"][0]
assert (r["FromPort"], r["ToPort"], r["Description"]) == (2222, 2222, "final"), r
ec2.revoke_security_group_ingress(GroupId=g, SecurityGroupRuleIds=[rid])
try:
    ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])
    raise SystemExit("described a revoked rule")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidSecurityGroupRuleId.NotFound", e.response
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %s", out)
	}
}
