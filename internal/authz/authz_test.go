package authz

func sp(s string) *string { return &s }
