package athena

import (
	"testing"

	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: workgroup operations are checked on their workgroup
// (primary when none is named), data catalog reads on the catalog.
func TestResourceARNs(t *testing.T) {
	const prefix = "arn:aws:athena:us-east-1:123456789012:"
	kittest.Resources(t, kit.Authz{Resources: resources}, "athena", []kittest.Case{
		{Op: "StartQueryExecution", In: &athenaapi.StartQueryExecutionInput{QueryString: ptr.To("select 1")}, Resource: prefix + "workgroup/primary"},
		{Op: "StartQueryExecution", In: &athenaapi.StartQueryExecutionInput{WorkGroup: ptr.To("team")}, Resource: prefix + "workgroup/team"},
		{Op: "CreateWorkGroup", In: &athenaapi.CreateWorkGroupInput{Name: ptr.To("team")}, Resource: prefix + "workgroup/team"},
		{Op: "GetWorkGroup", In: &athenaapi.GetWorkGroupInput{WorkGroup: ptr.To("team")}, Resource: prefix + "workgroup/team"},
		{Op: "GetTableMetadata", In: &athenaapi.GetTableMetadataInput{CatalogName: ptr.To("AwsDataCatalog")}, Resource: prefix + "datacatalog/AwsDataCatalog"},
		{Op: "ListWorkGroups", In: &athenaapi.ListWorkGroupsInput{}, Resource: "*"},
	})
}
