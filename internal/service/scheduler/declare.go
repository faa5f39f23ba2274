package scheduler

import (
	"strings"

	"github.com/niwa-cloud/niwa/internal/kit"
)

// Declare is EventBridge Scheduler as the platform sees it: schedules are
// "schedule/<group>/<name>", groups "schedule-group/<name>", and tags
// name the group's ARN.
func (s *Scheduler) Declare() kit.Declaration {
	return kit.Declaration{Impl: s, Authz: kit.Authz{Resources: resources}, Reset: s.Reset, Close: s.Close, Resources: s.cfnResources()}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	name := in.Str("Name")
	switch {
	case name != "" && strings.Contains(op, "ScheduleGroup"):
		return []string{kit.ARN("scheduler", env.Region, env.Account, "schedule-group/"+name)}
	case name != "" && strings.HasSuffix(op, "Schedule"):
		g := in.Str("GroupName")
		if g == "" {
			g = "default"
		}
		return []string{kit.ARN("scheduler", env.Region, env.Account, "schedule/"+g+"/"+name)}
	}
	if a := in.Str("ResourceArn"); a != "" {
		return []string{a}
	}
	return nil
}
