global using Xunit;
// FHIR has a resource called Task; in tests "Task" always means System.Threading.Tasks.Task.
global using Task = System.Threading.Tasks.Task;
