/**
 * Where a trained model is served. The deploy and endpoint-status steps are written against this
 * port: on AWS it is SageMaker (sagemaker-hosting.ts: model, serverless endpoint config, endpoint);
 * locally the embedded runtime serves the model with the same model server as a child process.
 */

/** One deployment request: names are derived from the training job, so a retry reuses them. */
export interface HostingDeployRequest {
  endpointName: string;
  modelName: string;
  endpointConfigName: string;
  modelDataUrl: string;
  image: string;
  roleArn: string;
}

/** What a deployment did. */
export interface HostingDeployResult {
  action: 'created' | 'updated' | 'unchanged';
  /** Endpoint status right after the call (SageMaker EndpointStatus). */
  status: string;
}

/** An endpoint's state. */
export interface HostingStatus {
  /** SageMaker EndpointStatus; `Missing` when there is no such endpoint. */
  status: string;
  /** Endpoint config the endpoint runs (null when unknown). */
  endpointConfigName: string | null;
  failureReason: string | null;
}

/** Serves models behind named endpoints. */
export interface ModelHosting {
  /** Creates the model and its endpoint config when absent, then creates or updates the endpoint. Idempotent. */
  deploy(request: HostingDeployRequest): Promise<HostingDeployResult>;
  /** The endpoint's current status. */
  status(endpointName: string): Promise<HostingStatus>;
}
