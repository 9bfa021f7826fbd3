// Log Analytics workspace and workspace-based Application Insights (local auth off: telemetry needs Entra ID).
import { roles } from 'roles.bicep'

param namePrefix string
param location string
param tags object
param retentionDays int
param functionsIdentityName string
@description('Empty when the tenant has no GPU worker.')
param workerIdentityName string

resource functionsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: functionsIdentityName
}

resource workerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = if (!empty(workerIdentityName)) {
  name: workerIdentityName
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionDays
    features: { disableLocalAuth: true }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-insights'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

// Local auth is off, so telemetry is accepted only from identities with Monitoring Metrics Publisher here.
resource functionsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, functionsIdentity.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

resource workerPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(workerIdentityName)) {
  name: guid(insights.id, workerIdentity.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    principalId: workerIdentity!.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

output workspaceId string = workspace.id
output workspaceCustomerId string = workspace.properties.customerId
output insightsId string = insights.id
output insightsConnectionString string = insights.properties.ConnectionString
