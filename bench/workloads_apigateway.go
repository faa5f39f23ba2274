package main

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// apigatewayWorkloads: a REST API's stage invoked through a MOCK
// integration — a plain HTTP GET of the invoke URL
// (http://<api-id>.execute-api.localhost:<port>/<stage>/ping, sent to the
// server's address with that Host), which runs the method's routing, the
// integration's request template choosing the status and the response
// template rendering the body: API Gateway's own cost, with no backend.
//
// moto serves invoke URLs only in its in-process (decorator) mode, not
// as a server, and ignores MOCK integrations, so the row is niwa's alone.
func apigatewayWorkloads() []workload {
	var apis perServer[string]
	const stage = "bench"
	const body = `{"ok": true, "stage": "bench"}`
	return []workload{
		{name: "API Gateway REST invoke (MOCK integration)", niwaOnly: "moto: no invoke URLs as a server", setup: func(ctx context.Context, cfg aws.Config) error {
			c := apigateway.NewFromConfig(cfg)
			api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("bench")})
			if err != nil {
				return err
			}
			id := api.Id
			res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: id, ParentId: api.RootResourceId, PathPart: aws.String("ping")})
			if err != nil {
				return err
			}
			get := aws.String("GET")
			if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: id, ResourceId: res.Id, HttpMethod: get, AuthorizationType: aws.String("NONE")}); err != nil {
				return err
			}
			if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: id, ResourceId: res.Id, HttpMethod: get, Type: types.IntegrationTypeMock,
				RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
				return err
			}
			if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: id, ResourceId: res.Id, HttpMethod: get, StatusCode: aws.String("200")}); err != nil {
				return err
			}
			if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: id, ResourceId: res.Id, HttpMethod: get, StatusCode: aws.String("200"),
				ResponseTemplates: map[string]string{"application/json": `{"ok": true, "stage": "$context.stage"}`}}); err != nil {
				return err
			}
			if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: id, StageName: aws.String(stage)}); err != nil {
				return err
			}
			apis.set(cfg, aws.ToString(id))
			return nil
		}, op: func(ctx context.Context, cfg aws.Config, i int) error {
			endpoint := aws.ToString(cfg.BaseEndpoint)
			host := apis.get(cfg) + ".execute-api.localhost:" + endpoint[strings.LastIndexByte(endpoint, ':')+1:]
			return plainGet(ctx, endpoint+"/"+stage+"/ping", host, body)
		}},
	}
}
