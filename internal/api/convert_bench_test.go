package api_test

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/api"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
)

// fill is a dynamic tree for t with every member set, lists of two, down
// to depth levels of structures.
func fill(t reflect.Type, depth int) any {
	switch t {
	case reflect.TypeFor[time.Time]():
		return time.Unix(1.7e9, 0)
	case reflect.TypeFor[[]byte]():
		return []byte("bytes")
	case reflect.TypeFor[any]():
		return "doc"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return fill(t.Elem(), depth)
	case reflect.Struct:
		m := map[string]any{}
		if depth == 0 {
			return m
		}
		for i := range t.NumField() {
			if f := t.Field(i); f.Type.Kind() != reflect.Func && f.Type.Kind() != reflect.Interface || f.Type == reflect.TypeFor[any]() {
				m[f.Tag.Get("aws")] = fill(f.Type, depth-1)
			}
		}
		return m
	case reflect.String:
		return "value"
	case reflect.Bool:
		return true
	case reflect.Int32, reflect.Int64:
		return int64(42)
	case reflect.Float32, reflect.Float64:
		return 1.5
	case reflect.Slice:
		return []any{fill(t.Elem(), depth), fill(t.Elem(), depth)}
	case reflect.Map:
		return map[string]any{"a": fill(t.Elem(), depth), "b": fill(t.Elem(), depth)}
	}
	return nil
}

func queryOutput() map[string]any {
	items := make([]any, 10)
	for i := range items {
		items[i] = map[string]any{
			"pk":    map[string]any{"S": "user#" + strconv.Itoa(i)},
			"sk":    map[string]any{"N": strconv.Itoa(i)},
			"name":  map[string]any{"S": "name"},
			"tags":  map[string]any{"SS": []any{"a", "b"}},
			"attrs": map[string]any{"M": map[string]any{"x": map[string]any{"BOOL": true}, "y": map[string]any{"L": []any{map[string]any{"N": "1"}}}}},
		}
	}
	return map[string]any{"Items": items, "Count": int64(10), "ScannedCount": int64(10),
		"LastEvaluatedKey": map[string]any{"pk": map[string]any{"S": "user#9"}}}
}

// BenchmarkConverter: the conversions of a DynamoDB Query output with ten
// items and of an EC2 DescribeInstances output with every member set.
func BenchmarkConverter(b *testing.B) {
	for _, bc := range []struct {
		name string
		tree map[string]any
		new  func() any
	}{
		{"DynamoDBQueryOutput", queryOutput(), func() any { return new(dynamodbapi.QueryOutput) }},
		{"EC2DescribeInstancesOutput", fill(reflect.TypeFor[ec2api.DescribeInstancesOutput](), 4).(map[string]any),
			func() any { return new(ec2api.DescribeInstancesOutput) }},
	} {
		var c api.Converter
		typed := bc.new()
		if err := c.ToTyped(bc.tree, typed); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name+"/ToTyped", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.ToTyped(bc.tree, bc.new()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/ToDynamic", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.ToDynamic(typed)
			}
		})
	}
}
