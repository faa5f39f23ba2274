# Stand-in for the tutorial's RDS-backed function (issue 22): it returns
# the event the integration request's mapping template made, so the
# caller sees the key and sourceIp API Gateway passed.
def lambda_handler(event, context):
    return event
