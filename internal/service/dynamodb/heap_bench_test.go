package dynamodb

import (
	"fmt"
	"runtime"
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// BenchmarkStoredItemsHeap measures what the memory backend holds per
// stored item: the live heap after putting 20000 items of the bench's
// shape (bench/workloads_dynamodb.go), per MiB of item data as DynamoDB
// counts it (itemSize). Run it with -benchtime 1x.
func BenchmarkStoredItemsHeap(b *testing.B) {
	const items = 20000
	for b.Loop() {
		svc, _, ctx := newTestService(b)
		createTable(b, svc, ctx, "t", "")
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		data := 0
		for i := range items {
			it := Item{"pk": s(fmt.Sprintf("user-%06d", i)), "sk": n("42"), "name": s("some name for the bench"),
				"count": n(fmt.Sprint(i)), "tags": {SS: []string{"a", "b"}}}
			data += itemSize(it)
			if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: it}); err != nil {
				b.Fatal(err)
			}
		}
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		b.ReportMetric(heap/items, "heapB/item")
		b.ReportMetric(heap/float64(data), "heapMiB/dataMiB")
		runtime.KeepAlive(svc)
	}
}
