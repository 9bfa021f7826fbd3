// The GPU worker on Container Apps: a GPU workload profile, scale from zero on the Service Bus queue length
// through KEDA's azure-servicebus scaler, authenticated with the worker's managed identity (no connection string).
param namePrefix string
param location string
param tags object
param identityName string
param image string
param registryServer string
@description('Container Apps GPU workload profile type, e.g. Consumption-GPU-NC8as-T4 or Consumption-GPU-NC24-A100.')
param gpuProfileType string
param serviceBusNamespace string
param dataBlobEndpoint string
param maxReplicas int
param logAnalyticsCustomerId string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${namePrefix}-env'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      // Logs go through Azure Monitor diagnostic settings rather than a workspace shared key.
      destination: 'azure-monitor'
    }
    workloadProfiles: [
      { name: 'Consumption', workloadProfileType: 'Consumption' }
      { name: 'gpu', workloadProfileType: gpuProfileType }
    ]
  }
}

resource worker 'Microsoft.App/containerApps@2025-01-01' = {
  name: '${namePrefix}-worker'
  location: location
  tags: union(tags, { 'log-analytics-workspace': logAnalyticsCustomerId })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'gpu'
    configuration: {
      activeRevisionsMode: 'Single'
      registries: [
        { server: registryServer, identity: identity.id }
      ]
    }
    template: {
      containers: [
        {
          name: 'worker'
          image: image
          env: [
            { name: 'SMED_EXECUTION_PROVIDER', value: 'Auto' }
            { name: 'SMED_SERVICEBUS_NAMESPACE', value: serviceBusNamespace }
            { name: 'SMED_BLOB_ENDPOINT', value: dataBlobEndpoint }
            { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
          ]
          probes: [
            { type: 'Liveness', httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 30 }
            { type: 'Readiness', httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 }
          ]
        }
      ]
      scale: {
        minReplicas: 0
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'generation-queue'
            custom: {
              type: 'azure-servicebus'
              metadata: {
                namespace: serviceBusNamespace
                queueName: 'generation'
                messageCount: '1'
              }
              identity: identity.id
            }
          }
        ]
      }
    }
  }
}

output workerName string = worker.name
