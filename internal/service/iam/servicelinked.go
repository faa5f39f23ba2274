package iam

import (
	"strings"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Service-linked roles: roles a service creates for itself, named
// AWSServiceRoleFor<Service> under /aws-service-role/<service principal>/,
// trusting that service. Deletion is a task (DeleteServiceLinkedRole
// returns its id); niwa has no resources that keep a role in use, so the
// task succeeds at once.

// serviceRoleNames are AWS's names for the services whose name is not the
// principal's first label capitalised.
var serviceRoleNames = map[string]string{
	"autoscaling.amazonaws.com":          "AutoScaling",
	"ecs.amazonaws.com":                  "ECS",
	"elasticloadbalancing.amazonaws.com": "ElasticLoadBalancing",
	"rds.amazonaws.com":                  "RDS",
	"es.amazonaws.com":                   "AmazonElasticsearchService",
	"opensearchservice.amazonaws.com":    "AmazonOpenSearchService",
	"lambda.amazonaws.com":               "Lambda",
	"replication.dynamodb.amazonaws.com": "DynamoDBReplication",
	"dax.amazonaws.com":                  "DAX",
	"ssm.amazonaws.com":                  "AmazonSSM",
	"cloudtrail.amazonaws.com":           "CloudTrail",
	"config.amazonaws.com":               "Config",
	"organizations.amazonaws.com":        "Organizations",
	"spot.amazonaws.com":                 "EC2Spot",
	"apigateway.amazonaws.com":           "APIGateway",
	"elasticache.amazonaws.com":          "ElastiCache",
	"eks.amazonaws.com":                  "AmazonEKS",
	"support.amazonaws.com":              "Support",
	"trustedadvisor.amazonaws.com":       "TrustedAdvisor",
}

func serviceRoleName(service string) string {
	if n, ok := serviceRoleNames[service]; ok {
		return n
	}
	first, _, _ := strings.Cut(service, ".")
	var b strings.Builder
	up := true
	for _, c := range first {
		if c == '-' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		b.WriteRune(c)
	}
	return b.String()
}

func (s *IAM) CreateServiceLinkedRole(ctx *request.Context, in *iamapi.CreateServiceLinkedRoleInput) (*iamapi.CreateServiceLinkedRoleOutput, error) {
	service, err := required("aWSServiceName", in.AWSServiceName)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(service, ".amazonaws.com") || !serviceName(strings.TrimSuffix(service, ".amazonaws.com")) {
		return nil, iamapi.ErrInvalidInputException.New("Invalid service principal %s", service)
	}
	name := "AWSServiceRoleFor" + serviceRoleName(service)
	if in.CustomSuffix != nil {
		name += "_" + *in.CustomSuffix
	}
	desc, err := checkDescription(in.Description)
	if err != nil {
		return nil, err
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["` + service + `"]},"Action":["sts:AssumeRole"]}]}`
	r := roleRecord{Name: name, ID: newID("AROA"), Path: "/aws-service-role/" + service + "/", CreateDate: now(ctx),
		TrustPolicy: trust, Description: desc, MaxSessionDuration: defaultMaxSession}
	sc := scope(ctx)
	err = s.store.Update(func(tx storage.Tx) error {
		if _, found, err := roles.Get(tx, sc, lower(name)); err != nil || found {
			if found {
				return iamapi.ErrInvalidInputException.New("Service role name %s has been taken in this account, please try a different suffix.", name)
			}
			return err
		}
		return roles.Put(tx, sc, r, lower(name))
	})
	if err != nil {
		return nil, err
	}
	out := roleOut(ctx.Account, &r, roleFull)
	return &iamapi.CreateServiceLinkedRoleOutput{Role: &out}, nil
}

func (s *IAM) DeleteServiceLinkedRole(ctx *request.Context, in *iamapi.DeleteServiceLinkedRoleInput) (*iamapi.DeleteServiceLinkedRoleOutput, error) {
	name, err := required("roleName", in.RoleName)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var task string
	err = s.store.Update(func(tx storage.Tx) error {
		r, err := getRole(tx, sc, name)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(r.Path, "/aws-service-role/") {
			return iamapi.ErrInvalidInputException.New("Role %s is not a service-linked role.", r.Name)
		}
		if err := dropUses(tx, sc, kindRole, r.Name, r.Attached, r.Boundary); err != nil {
			return err
		}
		task = "task" + r.Path + r.Name + "/" + awsid.UUID()
		if err := deletionTasks.Put(tx, sc, "SUCCEEDED", task); err != nil {
			return err
		}
		return roles.Delete(tx, sc, lower(r.Name))
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteServiceLinkedRoleOutput{DeletionTaskId: ptr.To(task)}, nil
}

func (s *IAM) GetServiceLinkedRoleDeletionStatus(ctx *request.Context, in *iamapi.GetServiceLinkedRoleDeletionStatusInput) (*iamapi.GetServiceLinkedRoleDeletionStatusOutput, error) {
	id, err := required("deletionTaskId", in.DeletionTaskId)
	if err != nil {
		return nil, err
	}
	var status string
	var found bool
	err = s.store.View(func(tx storage.Tx) error {
		status, found, err = deletionTasks.Get(tx, scope(ctx), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, iamapi.ErrNoSuchEntityException.New("Deletion task %s cannot be found.", id)
	}
	return &iamapi.GetServiceLinkedRoleDeletionStatusOutput{Status: ptr.To(status)}, nil
}
