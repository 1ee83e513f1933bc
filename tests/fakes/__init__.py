"""Loopback fakes of Slack's Web API and Coralogix's incidents API that record what they receive."""
