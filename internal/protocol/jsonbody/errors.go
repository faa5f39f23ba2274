package jsonbody

import (
	"bytes"
	"slices"
	"strings"

	"github.com/niwa-cloud/niwa/internal/model"
)

// ErrorMessageKey is the key of an error's message: the error shape's own
// message member as the model spells it ("message" for DynamoDB and SQS,
// "Message" for most of Lambda and SSM), else "message". Every client
// reads either casing.
func ErrorMessageKey(sh *model.Shape) string {
	if sh != nil {
		for _, m := range sh.Members {
			if strings.EqualFold(m.Name, "message") {
				return WireName(m)
			}
		}
	}
	return "message"
}

// AppendErrorFields writes ,"key":value for each extra error field, encoded by
// the error shape's member when there is one and as free JSON otherwise,
// in sorted order. A field named like the message member is skipped.
func AppendErrorFields(buf *bytes.Buffer, sh *model.Shape, fields map[string]any, msgKey string) error {
	if len(fields) == 0 {
		return nil
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		v := fields[name]
		if v == nil || strings.EqualFold(name, msgKey) || name == "__type" {
			continue
		}
		var mr *model.Ref
		if sh != nil {
			mr, _ = sh.MemberByName(name)
		}
		buf.WriteByte(',')
		if mr != nil {
			AppendString(buf, WireName(mr))
			buf.WriteByte(':')
			if err := Encode(buf, mr, v); err != nil {
				return err
			}
			continue
		}
		AppendString(buf, name)
		buf.WriteByte(':')
		if err := EncodeDocument(buf, v); err != nil {
			return err
		}
	}
	return nil
}
