/** Which of the server's two HTTP listeners answered. */
export type ListenerName = 'management' | 'deployment';

export interface HealthResponse {
  status: 'ok';
  listener: ListenerName;
  version: string;
  uptimeSeconds: number;
}

/** Shape of every error body the API returns. */
export interface ApiError {
  statusCode: number;
  message: string | string[];
  error?: string;
}
