package glue

import "github.com/niwa-cloud/niwa/internal/kit"

func kitEnv() kit.Env { return kit.Env{Account: "000000000000", Region: "us-east-1"} }

func kitInput(v any) (kit.Input, bool) { return kit.NewInput(v) }
