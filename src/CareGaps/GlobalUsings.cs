// FHIR has a resource called Task; in this code base "Task" always means System.Threading.Tasks.Task.
global using Task = System.Threading.Tasks.Task;
