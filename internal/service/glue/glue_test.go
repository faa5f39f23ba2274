package glue

import (
	"testing"

	glueapi "github.com/niwa-cloud/niwa/internal/api/glue"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

func table(name string, keys ...string) *glueapi.TableInput {
	t := &glueapi.TableInput{Name: ptr.To(name), TableType: ptr.To("EXTERNAL_TABLE"),
		StorageDescriptor: &glueapi.StorageDescriptor{Location: ptr.To("s3://b/" + name + "/"),
			Columns:   []glueapi.Column{{Name: ptr.To("a"), Type: ptr.To("string")}},
			SerdeInfo: &glueapi.SerDeInfo{SerializationLibrary: ptr.To("org.openx.data.jsonserde.JsonSerDe")}}}
	for _, k := range keys {
		t.PartitionKeys = append(t.PartitionKeys, glueapi.Column{Name: ptr.To(k), Type: ptr.To("string")})
	}
	return t
}

func TestDatabasesAndTables(t *testing.T) {
	h := servicetest.New(t, "glue")
	g := New(h.Store(), h.Clock)
	ctx := h.Ctx()
	dbs, err := g.GetDatabases(ctx, &glueapi.GetDatabasesInput{})
	if err != nil || len(dbs.DatabaseList) != 1 || *dbs.DatabaseList[0].Name != "default" {
		t.Fatalf("default database: %+v %v", dbs, err)
	}
	if _, err := g.CreateDatabase(ctx, &glueapi.CreateDatabaseInput{DatabaseInput: &glueapi.DatabaseInput{Name: ptr.To("Sales")}, Tags: map[string]string{"team": "data"}}); err != nil {
		t.Fatal(err)
	}
	dbARN := "arn:aws:glue:" + h.Region + ":" + h.Account + ":database/sales"
	if _, err := g.TagResource(ctx, &glueapi.TagResourceInput{ResourceArn: ptr.To(dbARN), TagsToAdd: map[string]string{"env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.UntagResource(ctx, &glueapi.UntagResourceInput{ResourceArn: ptr.To(dbARN), TagsToRemove: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	if tg, err := g.GetTags(ctx, &glueapi.GetTagsInput{ResourceArn: ptr.To(dbARN)}); err != nil || len(tg.Tags) != 1 || tg.Tags["env"] != "dev" {
		t.Fatalf("tags %+v %v", tg, err)
	}
	if _, err := g.GetTags(ctx, &glueapi.GetTagsInput{ResourceArn: ptr.To(dbARN + "x")}); !glueapi.ErrEntityNotFoundException.Is(err) {
		t.Fatalf("tags of a missing database: %v", err)
	}
	if _, err := g.CreateDatabase(ctx, &glueapi.CreateDatabaseInput{DatabaseInput: &glueapi.DatabaseInput{Name: ptr.To("sales")}}); !glueapi.ErrAlreadyExistsException.Is(err) {
		t.Fatalf("duplicate database: %v", err)
	}
	if _, err := g.GetDatabase(ctx, &glueapi.GetDatabaseInput{Name: ptr.To("nosuch")}); !glueapi.ErrEntityNotFoundException.Is(err) || err.Error() != "EntityNotFoundException: Database nosuch not found." {
		t.Fatalf("missing database: %v", err)
	}
	if _, err := g.GetDatabase(ctx, &glueapi.GetDatabaseInput{Name: ptr.To("x"), CatalogId: ptr.To("111111111111")}); !glueapi.ErrAccessDeniedException.Is(err) {
		t.Fatalf("other catalog: %v", err)
	}
	for _, n := range []string{"orders", "order_items", "users"} {
		if _, err := g.CreateTable(ctx, &glueapi.CreateTableInput{DatabaseName: ptr.To("sales"), TableInput: table(n)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.CreateTable(ctx, &glueapi.CreateTableInput{DatabaseName: ptr.To("sales"), TableInput: table("orders")}); !glueapi.ErrAlreadyExistsException.Is(err) {
		t.Fatalf("duplicate table: %v", err)
	}
	if _, err := g.CreateTable(ctx, &glueapi.CreateTableInput{DatabaseName: ptr.To("nosuch"), TableInput: table("t")}); !glueapi.ErrEntityNotFoundException.Is(err) {
		t.Fatalf("table in missing database: %v", err)
	}
	for _, tt := range []struct {
		expr string
		want int
	}{{"", 3}, {"order*", 2}, {"users|orders", 2}, {"nothing", 0}} {
		out, err := g.GetTables(ctx, &glueapi.GetTablesInput{DatabaseName: ptr.To("sales"), Expression: ptr.To(tt.expr)})
		if err != nil || len(out.TableList) != tt.want {
			t.Errorf("GetTables(%q) = %d tables, %v; want %d", tt.expr, len(out.TableList), err, tt.want)
		}
	}
	page1, err := g.GetTables(ctx, &glueapi.GetTablesInput{DatabaseName: ptr.To("sales"), MaxResults: ptr.To[int32](2)})
	if err != nil || len(page1.TableList) != 2 || page1.NextToken == nil {
		t.Fatalf("page 1: %+v %v", page1, err)
	}
	page2, err := g.GetTables(ctx, &glueapi.GetTablesInput{DatabaseName: ptr.To("sales"), MaxResults: ptr.To[int32](2), NextToken: page1.NextToken})
	if err != nil || len(page2.TableList) != 1 || page2.NextToken != nil {
		t.Fatalf("page 2: %+v %v", page2, err)
	}
	upd := table("orders")
	upd.Description = ptr.To("changed")
	if _, err := g.UpdateTable(ctx, &glueapi.UpdateTableInput{DatabaseName: ptr.To("sales"), TableInput: upd}); err != nil {
		t.Fatal(err)
	}
	got, err := g.GetTable(ctx, &glueapi.GetTableInput{DatabaseName: ptr.To("sales"), Name: ptr.To("ORDERS")})
	if err != nil || *got.Table.Description != "changed" || *got.Table.VersionId != "1" || *got.Table.CatalogId != h.Account {
		t.Fatalf("updated table: %+v %v", got, err)
	}
	bd, err := g.BatchDeleteTable(ctx, &glueapi.BatchDeleteTableInput{DatabaseName: ptr.To("sales"), TablesToDelete: []string{"users", "nosuch"}})
	if err != nil || len(bd.Errors) != 1 || *bd.Errors[0].TableName != "nosuch" || *bd.Errors[0].ErrorDetail.ErrorCode != "EntityNotFoundException" {
		t.Fatalf("batch delete: %+v %v", bd, err)
	}
	if _, err := g.DeleteDatabase(ctx, &glueapi.DeleteDatabaseInput{Name: ptr.To("sales")}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.GetTable(ctx, &glueapi.GetTableInput{DatabaseName: ptr.To("sales"), Name: ptr.To("orders")}); !glueapi.ErrEntityNotFoundException.Is(err) {
		t.Fatalf("table of a deleted database: %v", err)
	}
}

func TestPartitions(t *testing.T) {
	h := servicetest.New(t, "glue")
	g := New(h.Store(), h.Clock)
	ctx := h.Ctx()
	if _, err := g.CreateTable(ctx, &glueapi.CreateTableInput{DatabaseName: ptr.To("default"), TableInput: table("logs", "year", "month")}); err != nil {
		t.Fatal(err)
	}
	// year is a string key here; month compares as a string too.
	var inputs []glueapi.PartitionInput
	for _, v := range [][]string{{"2025", "12"}, {"2026", "01"}, {"2026", "02"}} {
		inputs = append(inputs, glueapi.PartitionInput{Values: v, StorageDescriptor: &glueapi.StorageDescriptor{Location: ptr.To("s3://b/logs/" + v[0] + "/" + v[1] + "/")}})
	}
	inputs = append(inputs, glueapi.PartitionInput{Values: []string{"2026"}})
	out, err := g.BatchCreatePartition(ctx, &glueapi.BatchCreatePartitionInput{DatabaseName: ptr.To("default"), TableName: ptr.To("logs"), PartitionInputList: inputs})
	if err != nil || len(out.Errors) != 1 || *out.Errors[0].ErrorDetail.ErrorCode != "InvalidInputException" {
		t.Fatalf("batch create: %+v %v", out, err)
	}
	if _, err := g.CreatePartition(ctx, &glueapi.CreatePartitionInput{DatabaseName: ptr.To("default"), TableName: ptr.To("logs"), PartitionInput: &inputs[0]}); !glueapi.ErrAlreadyExistsException.Is(err) {
		t.Fatalf("duplicate partition: %v", err)
	}
	for _, tt := range []struct {
		expr string
		want int
	}{
		{"", 3},
		{"year = '2026'", 2},
		{"year = '2026' AND month > '01'", 1},
		{"year = '2025' OR month = '02'", 2},
		{"month IN ('01', '12')", 2},
		{"NOT (year = '2026')", 1},
		{"month BETWEEN '01' AND '02'", 2},
		{"year LIKE '202%'", 3},
		{"year NOT IN ('2025')", 2},
	} {
		got, err := g.GetPartitions(ctx, &glueapi.GetPartitionsInput{DatabaseName: ptr.To("default"), TableName: ptr.To("logs"), Expression: ptr.To(tt.expr)})
		if err != nil || len(got.Partitions) != tt.want {
			t.Errorf("GetPartitions(%q) = %d, %v; want %d", tt.expr, len(got.Partitions), err, tt.want)
		}
	}
	for _, bad := range []string{"nosuch = '1'", "year =", "year = '1' AND", "(year = '1'", "year ~ '1'", "year = 'unterminated"} {
		if _, err := g.GetPartitions(ctx, &glueapi.GetPartitionsInput{DatabaseName: ptr.To("default"), TableName: ptr.To("logs"), Expression: ptr.To(bad)}); !glueapi.ErrInvalidInputException.Is(err) {
			t.Errorf("GetPartitions(%q): %v, want InvalidInputException", bad, err)
		}
	}
	p, err := g.GetPartition(ctx, &glueapi.GetPartitionInput{DatabaseName: ptr.To("default"), TableName: ptr.To("logs"), PartitionValues: []string{"2026", "01"}})
	if err != nil || *p.Partition.StorageDescriptor.Location != "s3://b/logs/2026/01/" {
		t.Fatalf("get partition: %+v %v", p, err)
	}
	bg, err := g.BatchGetPartition(ctx, &glueapi.BatchGetPartitionInput{DatabaseName: ptr.To("default"), TableName: ptr.To("logs"),
		PartitionsToGet: []glueapi.PartitionValueList{{Values: []string{"2026", "02"}}, {Values: []string{"1999", "01"}}}})
	if err != nil || len(bg.Partitions) != 1 {
		t.Fatalf("batch get: %+v %v", bg, err)
	}
	if _, err := g.UpdatePartition(ctx, &glueapi.UpdatePartitionInput{DatabaseName: ptr.To("default"), TableName: ptr.To("logs"), PartitionValueList: []string{"2026", "02"},
		PartitionInput: &glueapi.PartitionInput{Values: []string{"2026", "03"}, StorageDescriptor: &glueapi.StorageDescriptor{Location: ptr.To("s3://b/moved/")}}}); err != nil {
		t.Fatal(err)
	}
	bd, err := g.BatchDeletePartition(ctx, &glueapi.BatchDeletePartitionInput{DatabaseName: ptr.To("default"), TableName: ptr.To("logs"),
		PartitionsToDelete: []glueapi.PartitionValueList{{Values: []string{"2026", "03"}}, {Values: []string{"2026", "02"}}}})
	if err != nil || len(bd.Errors) != 1 || bd.Errors[0].PartitionValues[1] != "02" {
		t.Fatalf("batch delete: %+v %v", bd, err)
	}
	if _, err := g.DeletePartition(ctx, &glueapi.DeletePartitionInput{DatabaseName: ptr.To("default"), TableName: ptr.To("logs"), PartitionValues: []string{"2026", "01"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.GetPartition(ctx, &glueapi.GetPartitionInput{DatabaseName: ptr.To("default"), TableName: ptr.To("logs"), PartitionValues: []string{"2026", "01"}}); !glueapi.ErrEntityNotFoundException.Is(err) {
		t.Fatalf("deleted partition: %v", err)
	}
	if _, err := g.CreateCrawler(ctx, &glueapi.CreateCrawlerInput{}); !glueapi.ErrOperationNotSupportedException.Is(err) {
		t.Fatalf("crawler: %v", err)
	}
}

func TestResources(t *testing.T) {
	env := kitEnv()
	tests := []struct {
		op   string
		in   any
		want []string
	}{
		{"GetDatabases", &glueapi.GetDatabasesInput{}, []string{"arn:aws:glue:us-east-1:000000000000:catalog"}},
		{"CreateDatabase", &glueapi.CreateDatabaseInput{DatabaseInput: &glueapi.DatabaseInput{Name: ptr.To("d")}},
			[]string{"arn:aws:glue:us-east-1:000000000000:catalog", "arn:aws:glue:us-east-1:000000000000:database/d"}},
		{"GetTable", &glueapi.GetTableInput{DatabaseName: ptr.To("d"), Name: ptr.To("t")},
			[]string{"arn:aws:glue:us-east-1:000000000000:catalog", "arn:aws:glue:us-east-1:000000000000:database/d", "arn:aws:glue:us-east-1:000000000000:table/d/t"}},
		{"CreateTable", &glueapi.CreateTableInput{DatabaseName: ptr.To("d"), TableInput: &glueapi.TableInput{Name: ptr.To("t")}},
			[]string{"arn:aws:glue:us-east-1:000000000000:catalog", "arn:aws:glue:us-east-1:000000000000:database/d", "arn:aws:glue:us-east-1:000000000000:table/d/t"}},
		{"GetPartitions", &glueapi.GetPartitionsInput{DatabaseName: ptr.To("d"), TableName: ptr.To("t")},
			[]string{"arn:aws:glue:us-east-1:000000000000:catalog", "arn:aws:glue:us-east-1:000000000000:database/d", "arn:aws:glue:us-east-1:000000000000:table/d/t"}},
	}
	for _, tt := range tests {
		in, _ := kitInput(tt.in)
		got := resources(tt.op, in, env)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %v, want %v", tt.op, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: %v, want %v", tt.op, got, tt.want)
			}
		}
	}
}

func FuzzPartitionExpr(f *testing.F) {
	f.Add("year = '2026' AND (month IN ('01','02') OR NOT day BETWEEN 1 AND 3) AND x LIKE 'a%'")
	keys := []glueapi.Column{{Name: ptr.To("year"), Type: ptr.To("string")}, {Name: ptr.To("month"), Type: ptr.To("string")},
		{Name: ptr.To("day"), Type: ptr.To("int")}, {Name: ptr.To("x"), Type: ptr.To("string")}}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parsePartitionExpr(s, keys)
		if err == nil {
			e.eval([]string{"2026", "01", "2", "abc"})
		}
	})
}
